// FFTW 3, single and double precision (Debian: libfftw3-dev).
#include <fftw3.h>
