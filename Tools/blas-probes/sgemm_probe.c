// SGEMM throughput through the Fortran BLAS interface (sgemm_), to compare BLAS libraries and OpenBLAS kernels
// on one machine (Docs/notes/blas-kernel.md). Build against OpenBLAS:  cc -O2 sgemm_probe.c -lopenblas
// or against an extracted (not installed) BLIS:  apt-get download libblis4-pthread && dpkg -x *.deb root &&
// cc -O2 sgemm_probe.c -Lroot/usr/lib/x86_64-linux-gnu/blis-pthread -l:libblis.so.4 -Wl,-rpath,$PWD/root/...
// Usage: ./a.out [n]   (n × n × n, best of 5; threads from OPENBLAS_NUM_THREADS / BLIS_NUM_THREADS)
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*, const float*, const int*, const float*, const int*, const float*, float*, const int*);
static double now(){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){ int n = argc>1?atoi(argv[1]):2048; float *a=malloc(4L*n*n),*b=malloc(4L*n*n),*c=malloc(4L*n*n);
 for(long i=0;i<(long)n*n;i++){a[i]=(float)(i%7)/7.f; b[i]=(float)(i%5)/5.f;}
 float one=1,zero=0; double best=1e9; for(int r=0;r<5;r++){double t=now(); sgemm_("N","N",&n,&n,&n,&one,a,&n,b,&n,&zero,c,&n); t=now()-t; if(t<best)best=t;}
 printf("%.1f GFLOP/s (best of 5, n=%d)\n", 2.0*n*n*n/best/1e9, n); return 0;}
