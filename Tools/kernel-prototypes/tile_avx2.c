// The AVX2 6 × 16 tile prototype behind the fused ridge kernel (Docs/notes/statistics.md, session 2026-12-03
// evening): 960 × 384 · 384 × 1024, best of 20, OpenBLAS (single thread) against the tile with the operator
// packed beforehand (B packing timed, and the tile loop alone); the argument is the operator rows per block.
//   gcc -O2 -o /tmp/tile16 Tools/kernel-prototypes/tile_avx2.c -lopenblas -lm
//   /tmp/tile16 96      (run two at once to load both cores)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <immintrin.h>
#include <cblas.h>
void openblas_set_num_threads(int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define MR 6
#define NR 16
__attribute__((target("avx2,fma")))
static void kernel(int K, const float* a, const float* b, float* c, int ldc){
  __m256 c00=_mm256_setzero_ps(),c01=_mm256_setzero_ps(),c10=_mm256_setzero_ps(),c11=_mm256_setzero_ps(),
         c20=_mm256_setzero_ps(),c21=_mm256_setzero_ps(),c30=_mm256_setzero_ps(),c31=_mm256_setzero_ps(),
         c40=_mm256_setzero_ps(),c41=_mm256_setzero_ps(),c50=_mm256_setzero_ps(),c51=_mm256_setzero_ps();
  for(int k=0;k<K;k++){
    __m256 b0=_mm256_load_ps(b), b1=_mm256_load_ps(b+8);
    __m256 x;
    x=_mm256_broadcast_ss(a+0); c00=_mm256_fmadd_ps(x,b0,c00); c01=_mm256_fmadd_ps(x,b1,c01);
    x=_mm256_broadcast_ss(a+1); c10=_mm256_fmadd_ps(x,b0,c10); c11=_mm256_fmadd_ps(x,b1,c11);
    x=_mm256_broadcast_ss(a+2); c20=_mm256_fmadd_ps(x,b0,c20); c21=_mm256_fmadd_ps(x,b1,c21);
    x=_mm256_broadcast_ss(a+3); c30=_mm256_fmadd_ps(x,b0,c30); c31=_mm256_fmadd_ps(x,b1,c31);
    x=_mm256_broadcast_ss(a+4); c40=_mm256_fmadd_ps(x,b0,c40); c41=_mm256_fmadd_ps(x,b1,c41);
    x=_mm256_broadcast_ss(a+5); c50=_mm256_fmadd_ps(x,b0,c50); c51=_mm256_fmadd_ps(x,b1,c51);
    a+=MR; b+=NR;
  }
  _mm256_storeu_ps(c,c00);_mm256_storeu_ps(c+8,c01); c+=ldc;
  _mm256_storeu_ps(c,c10);_mm256_storeu_ps(c+8,c11); c+=ldc;
  _mm256_storeu_ps(c,c20);_mm256_storeu_ps(c+8,c21); c+=ldc;
  _mm256_storeu_ps(c,c30);_mm256_storeu_ps(c+8,c31); c+=ldc;
  _mm256_storeu_ps(c,c40);_mm256_storeu_ps(c+8,c41); c+=ldc;
  _mm256_storeu_ps(c,c50);_mm256_storeu_ps(c+8,c51);
}
int main(int argc,char**argv){
  int M=960,K=384,N=1024; int MC=argc>1?atoi(argv[1]):96;
  openblas_set_num_threads(1);
  float*A=aligned_alloc(64,M*K*4),*B=aligned_alloc(64,K*N*4),*C=aligned_alloc(64,M*N*4),*C2=aligned_alloc(64,M*N*4);
  for(int i=0;i<M*K;i++)A[i]=(rand()/(float)RAND_MAX)-0.5f;
  for(int i=0;i<K*N;i++)B[i]=(rand()/(float)RAND_MAX)-0.5f;
  float*Ap=aligned_alloc(64,M*K*4),*Bp=aligned_alloc(64,K*N*4);
  for(int p=0;p<M/MR;p++)for(int k=0;k<K;k++)for(int r=0;r<MR;r++)Ap[(p*K+k)*MR+r]=A[(p*MR+r)*K+k];
  double best1=1e9,best2=1e9,best3=1e9;
  for(int rep=0;rep<20;rep++){
    double t=now();
    cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,M,N,K,1,A,K,B,N,0,C,N);
    double t1=now()-t; if(t1<best1)best1=t1;
    t=now();
    for(int j=0;j<N/NR;j++)for(int k=0;k<K;k++)memcpy(Bp+(j*K+k)*NR,B+k*N+j*NR,NR*4);
    double tp=now();
    for(int ic=0;ic<M;ic+=MC)
      for(int j=0;j<N/NR;j++)
        for(int p=ic/MR;p<(ic+MC)/MR && p<M/MR;p++)
          kernel(K,Ap+p*K*MR,Bp+j*K*NR,C2+p*MR*N+j*NR,N);
    double t2=now()-t; if(t2<best2)best2=t2; if(now()-tp<best3)best3=now()-tp;
  }
  double md=0; for(int i=0;i<M*N;i++){double d=fabsf(C[i]-C2[i]); if(d>md)md=d;}
  double fl=2.0*M*N*K;
  printf("openblas %.3f ms %.1f GF/s | ours %.3f ms %.1f GF/s (kernel only %.3f ms %.1f) maxdiff %g\n",best1*1e3,fl/best1/1e9,best2*1e3,fl/best2/1e9,best3*1e3,fl/best3/1e9,md);
}
