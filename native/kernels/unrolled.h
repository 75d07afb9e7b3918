// f(0), f(1), …, f(N − 1), each index a compile-time constant (std::integral_constant).
// Arrays of vectors indexed only through it stay in registers: GCC keeps an array that
// a runtime loop indexes in memory, loading and storing it on every use.
#pragma once

#include <type_traits>
#include <utility>

namespace convcore {

template <typename F, int... I>
inline void unrolledOver(F& f, std::integer_sequence<int, I...>) {
  (f(std::integral_constant<int, I>()), ...);
}

template <int N, typename F>
inline void unrolled(F&& f) {
  unrolledOver(f, std::make_integer_sequence<int, N>());
}

}  // namespace convcore
