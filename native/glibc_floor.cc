// A portable Linux build's own __libc_single_threaded (a glibc 2.32 variable), which the
// C++ headers read to skip atomic reference counts in single-threaded programs. Zero:
// "threads may exist", so the counts stay atomic: correct on every glibc, new or old.
extern "C" {
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;
}
