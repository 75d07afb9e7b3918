// The engine for any CPU (baseline x86-64 or another architecture).
#define CONVCORE_ISA_NAMESPACE generic
#include "engine_impl.h"
