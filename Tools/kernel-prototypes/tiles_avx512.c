// Tile prototypes behind the fused ridge kernel (Docs/notes/statistics.md, session 2026-12-03 evening): one
// fold-sized product 960 × 384 · 384 × 1024, best of 20, OpenBLAS (single thread) against AVX-512 register tiles
// of MR × NR with the operator packed beforehand and the B packing timed. Not part of the build:
//   gcc -O2 -o /tmp/tiles Tools/kernel-prototypes/tiles_avx512.c -lopenblas -lm
//   /tmp/tiles 6 32      (also 6 48, 8 48, 12 32; run two at once to load both cores)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <immintrin.h>
#include <cblas.h>
void openblas_set_num_threads(int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
__attribute__((target("avx512f")))
static void kernel_6x32(int K, const float* a, const float* b, float* c, int ldc){
  __m512 c0_0=_mm512_setzero_ps();
  __m512 c0_1=_mm512_setzero_ps();
  __m512 c1_0=_mm512_setzero_ps();
  __m512 c1_1=_mm512_setzero_ps();
  __m512 c2_0=_mm512_setzero_ps();
  __m512 c2_1=_mm512_setzero_ps();
  __m512 c3_0=_mm512_setzero_ps();
  __m512 c3_1=_mm512_setzero_ps();
  __m512 c4_0=_mm512_setzero_ps();
  __m512 c4_1=_mm512_setzero_ps();
  __m512 c5_0=_mm512_setzero_ps();
  __m512 c5_1=_mm512_setzero_ps();
  for(int k=0;k<K;k++){
    __m512 b0=_mm512_loadu_ps(b+0);
    __m512 b1=_mm512_loadu_ps(b+16);
    { __m512 x=_mm512_set1_ps(a[0]);
      c0_0=_mm512_fmadd_ps(x,b0,c0_0);
      c0_1=_mm512_fmadd_ps(x,b1,c0_1);
    }
    { __m512 x=_mm512_set1_ps(a[1]);
      c1_0=_mm512_fmadd_ps(x,b0,c1_0);
      c1_1=_mm512_fmadd_ps(x,b1,c1_1);
    }
    { __m512 x=_mm512_set1_ps(a[2]);
      c2_0=_mm512_fmadd_ps(x,b0,c2_0);
      c2_1=_mm512_fmadd_ps(x,b1,c2_1);
    }
    { __m512 x=_mm512_set1_ps(a[3]);
      c3_0=_mm512_fmadd_ps(x,b0,c3_0);
      c3_1=_mm512_fmadd_ps(x,b1,c3_1);
    }
    { __m512 x=_mm512_set1_ps(a[4]);
      c4_0=_mm512_fmadd_ps(x,b0,c4_0);
      c4_1=_mm512_fmadd_ps(x,b1,c4_1);
    }
    { __m512 x=_mm512_set1_ps(a[5]);
      c5_0=_mm512_fmadd_ps(x,b0,c5_0);
      c5_1=_mm512_fmadd_ps(x,b1,c5_1);
    }
    a+=6; b+=32;
  }
  _mm512_storeu_ps(c+0*ldc+0,c0_0);
  _mm512_storeu_ps(c+0*ldc+16,c0_1);
  _mm512_storeu_ps(c+1*ldc+0,c1_0);
  _mm512_storeu_ps(c+1*ldc+16,c1_1);
  _mm512_storeu_ps(c+2*ldc+0,c2_0);
  _mm512_storeu_ps(c+2*ldc+16,c2_1);
  _mm512_storeu_ps(c+3*ldc+0,c3_0);
  _mm512_storeu_ps(c+3*ldc+16,c3_1);
  _mm512_storeu_ps(c+4*ldc+0,c4_0);
  _mm512_storeu_ps(c+4*ldc+16,c4_1);
  _mm512_storeu_ps(c+5*ldc+0,c5_0);
  _mm512_storeu_ps(c+5*ldc+16,c5_1);
}
__attribute__((target("avx512f")))
static void kernel_8x48(int K, const float* a, const float* b, float* c, int ldc){
  __m512 c0_0=_mm512_setzero_ps();
  __m512 c0_1=_mm512_setzero_ps();
  __m512 c0_2=_mm512_setzero_ps();
  __m512 c1_0=_mm512_setzero_ps();
  __m512 c1_1=_mm512_setzero_ps();
  __m512 c1_2=_mm512_setzero_ps();
  __m512 c2_0=_mm512_setzero_ps();
  __m512 c2_1=_mm512_setzero_ps();
  __m512 c2_2=_mm512_setzero_ps();
  __m512 c3_0=_mm512_setzero_ps();
  __m512 c3_1=_mm512_setzero_ps();
  __m512 c3_2=_mm512_setzero_ps();
  __m512 c4_0=_mm512_setzero_ps();
  __m512 c4_1=_mm512_setzero_ps();
  __m512 c4_2=_mm512_setzero_ps();
  __m512 c5_0=_mm512_setzero_ps();
  __m512 c5_1=_mm512_setzero_ps();
  __m512 c5_2=_mm512_setzero_ps();
  __m512 c6_0=_mm512_setzero_ps();
  __m512 c6_1=_mm512_setzero_ps();
  __m512 c6_2=_mm512_setzero_ps();
  __m512 c7_0=_mm512_setzero_ps();
  __m512 c7_1=_mm512_setzero_ps();
  __m512 c7_2=_mm512_setzero_ps();
  for(int k=0;k<K;k++){
    __m512 b0=_mm512_loadu_ps(b+0);
    __m512 b1=_mm512_loadu_ps(b+16);
    __m512 b2=_mm512_loadu_ps(b+32);
    { __m512 x=_mm512_set1_ps(a[0]);
      c0_0=_mm512_fmadd_ps(x,b0,c0_0);
      c0_1=_mm512_fmadd_ps(x,b1,c0_1);
      c0_2=_mm512_fmadd_ps(x,b2,c0_2);
    }
    { __m512 x=_mm512_set1_ps(a[1]);
      c1_0=_mm512_fmadd_ps(x,b0,c1_0);
      c1_1=_mm512_fmadd_ps(x,b1,c1_1);
      c1_2=_mm512_fmadd_ps(x,b2,c1_2);
    }
    { __m512 x=_mm512_set1_ps(a[2]);
      c2_0=_mm512_fmadd_ps(x,b0,c2_0);
      c2_1=_mm512_fmadd_ps(x,b1,c2_1);
      c2_2=_mm512_fmadd_ps(x,b2,c2_2);
    }
    { __m512 x=_mm512_set1_ps(a[3]);
      c3_0=_mm512_fmadd_ps(x,b0,c3_0);
      c3_1=_mm512_fmadd_ps(x,b1,c3_1);
      c3_2=_mm512_fmadd_ps(x,b2,c3_2);
    }
    { __m512 x=_mm512_set1_ps(a[4]);
      c4_0=_mm512_fmadd_ps(x,b0,c4_0);
      c4_1=_mm512_fmadd_ps(x,b1,c4_1);
      c4_2=_mm512_fmadd_ps(x,b2,c4_2);
    }
    { __m512 x=_mm512_set1_ps(a[5]);
      c5_0=_mm512_fmadd_ps(x,b0,c5_0);
      c5_1=_mm512_fmadd_ps(x,b1,c5_1);
      c5_2=_mm512_fmadd_ps(x,b2,c5_2);
    }
    { __m512 x=_mm512_set1_ps(a[6]);
      c6_0=_mm512_fmadd_ps(x,b0,c6_0);
      c6_1=_mm512_fmadd_ps(x,b1,c6_1);
      c6_2=_mm512_fmadd_ps(x,b2,c6_2);
    }
    { __m512 x=_mm512_set1_ps(a[7]);
      c7_0=_mm512_fmadd_ps(x,b0,c7_0);
      c7_1=_mm512_fmadd_ps(x,b1,c7_1);
      c7_2=_mm512_fmadd_ps(x,b2,c7_2);
    }
    a+=8; b+=48;
  }
  _mm512_storeu_ps(c+0*ldc+0,c0_0);
  _mm512_storeu_ps(c+0*ldc+16,c0_1);
  _mm512_storeu_ps(c+0*ldc+32,c0_2);
  _mm512_storeu_ps(c+1*ldc+0,c1_0);
  _mm512_storeu_ps(c+1*ldc+16,c1_1);
  _mm512_storeu_ps(c+1*ldc+32,c1_2);
  _mm512_storeu_ps(c+2*ldc+0,c2_0);
  _mm512_storeu_ps(c+2*ldc+16,c2_1);
  _mm512_storeu_ps(c+2*ldc+32,c2_2);
  _mm512_storeu_ps(c+3*ldc+0,c3_0);
  _mm512_storeu_ps(c+3*ldc+16,c3_1);
  _mm512_storeu_ps(c+3*ldc+32,c3_2);
  _mm512_storeu_ps(c+4*ldc+0,c4_0);
  _mm512_storeu_ps(c+4*ldc+16,c4_1);
  _mm512_storeu_ps(c+4*ldc+32,c4_2);
  _mm512_storeu_ps(c+5*ldc+0,c5_0);
  _mm512_storeu_ps(c+5*ldc+16,c5_1);
  _mm512_storeu_ps(c+5*ldc+32,c5_2);
  _mm512_storeu_ps(c+6*ldc+0,c6_0);
  _mm512_storeu_ps(c+6*ldc+16,c6_1);
  _mm512_storeu_ps(c+6*ldc+32,c6_2);
  _mm512_storeu_ps(c+7*ldc+0,c7_0);
  _mm512_storeu_ps(c+7*ldc+16,c7_1);
  _mm512_storeu_ps(c+7*ldc+32,c7_2);
}
__attribute__((target("avx512f")))
static void kernel_6x48(int K, const float* a, const float* b, float* c, int ldc){
  __m512 c0_0=_mm512_setzero_ps();
  __m512 c0_1=_mm512_setzero_ps();
  __m512 c0_2=_mm512_setzero_ps();
  __m512 c1_0=_mm512_setzero_ps();
  __m512 c1_1=_mm512_setzero_ps();
  __m512 c1_2=_mm512_setzero_ps();
  __m512 c2_0=_mm512_setzero_ps();
  __m512 c2_1=_mm512_setzero_ps();
  __m512 c2_2=_mm512_setzero_ps();
  __m512 c3_0=_mm512_setzero_ps();
  __m512 c3_1=_mm512_setzero_ps();
  __m512 c3_2=_mm512_setzero_ps();
  __m512 c4_0=_mm512_setzero_ps();
  __m512 c4_1=_mm512_setzero_ps();
  __m512 c4_2=_mm512_setzero_ps();
  __m512 c5_0=_mm512_setzero_ps();
  __m512 c5_1=_mm512_setzero_ps();
  __m512 c5_2=_mm512_setzero_ps();
  for(int k=0;k<K;k++){
    __m512 b0=_mm512_loadu_ps(b+0);
    __m512 b1=_mm512_loadu_ps(b+16);
    __m512 b2=_mm512_loadu_ps(b+32);
    { __m512 x=_mm512_set1_ps(a[0]);
      c0_0=_mm512_fmadd_ps(x,b0,c0_0);
      c0_1=_mm512_fmadd_ps(x,b1,c0_1);
      c0_2=_mm512_fmadd_ps(x,b2,c0_2);
    }
    { __m512 x=_mm512_set1_ps(a[1]);
      c1_0=_mm512_fmadd_ps(x,b0,c1_0);
      c1_1=_mm512_fmadd_ps(x,b1,c1_1);
      c1_2=_mm512_fmadd_ps(x,b2,c1_2);
    }
    { __m512 x=_mm512_set1_ps(a[2]);
      c2_0=_mm512_fmadd_ps(x,b0,c2_0);
      c2_1=_mm512_fmadd_ps(x,b1,c2_1);
      c2_2=_mm512_fmadd_ps(x,b2,c2_2);
    }
    { __m512 x=_mm512_set1_ps(a[3]);
      c3_0=_mm512_fmadd_ps(x,b0,c3_0);
      c3_1=_mm512_fmadd_ps(x,b1,c3_1);
      c3_2=_mm512_fmadd_ps(x,b2,c3_2);
    }
    { __m512 x=_mm512_set1_ps(a[4]);
      c4_0=_mm512_fmadd_ps(x,b0,c4_0);
      c4_1=_mm512_fmadd_ps(x,b1,c4_1);
      c4_2=_mm512_fmadd_ps(x,b2,c4_2);
    }
    { __m512 x=_mm512_set1_ps(a[5]);
      c5_0=_mm512_fmadd_ps(x,b0,c5_0);
      c5_1=_mm512_fmadd_ps(x,b1,c5_1);
      c5_2=_mm512_fmadd_ps(x,b2,c5_2);
    }
    a+=6; b+=48;
  }
  _mm512_storeu_ps(c+0*ldc+0,c0_0);
  _mm512_storeu_ps(c+0*ldc+16,c0_1);
  _mm512_storeu_ps(c+0*ldc+32,c0_2);
  _mm512_storeu_ps(c+1*ldc+0,c1_0);
  _mm512_storeu_ps(c+1*ldc+16,c1_1);
  _mm512_storeu_ps(c+1*ldc+32,c1_2);
  _mm512_storeu_ps(c+2*ldc+0,c2_0);
  _mm512_storeu_ps(c+2*ldc+16,c2_1);
  _mm512_storeu_ps(c+2*ldc+32,c2_2);
  _mm512_storeu_ps(c+3*ldc+0,c3_0);
  _mm512_storeu_ps(c+3*ldc+16,c3_1);
  _mm512_storeu_ps(c+3*ldc+32,c3_2);
  _mm512_storeu_ps(c+4*ldc+0,c4_0);
  _mm512_storeu_ps(c+4*ldc+16,c4_1);
  _mm512_storeu_ps(c+4*ldc+32,c4_2);
  _mm512_storeu_ps(c+5*ldc+0,c5_0);
  _mm512_storeu_ps(c+5*ldc+16,c5_1);
  _mm512_storeu_ps(c+5*ldc+32,c5_2);
}
__attribute__((target("avx512f")))
static void kernel_12x32(int K, const float* a, const float* b, float* c, int ldc){
  __m512 c0_0=_mm512_setzero_ps();
  __m512 c0_1=_mm512_setzero_ps();
  __m512 c1_0=_mm512_setzero_ps();
  __m512 c1_1=_mm512_setzero_ps();
  __m512 c2_0=_mm512_setzero_ps();
  __m512 c2_1=_mm512_setzero_ps();
  __m512 c3_0=_mm512_setzero_ps();
  __m512 c3_1=_mm512_setzero_ps();
  __m512 c4_0=_mm512_setzero_ps();
  __m512 c4_1=_mm512_setzero_ps();
  __m512 c5_0=_mm512_setzero_ps();
  __m512 c5_1=_mm512_setzero_ps();
  __m512 c6_0=_mm512_setzero_ps();
  __m512 c6_1=_mm512_setzero_ps();
  __m512 c7_0=_mm512_setzero_ps();
  __m512 c7_1=_mm512_setzero_ps();
  __m512 c8_0=_mm512_setzero_ps();
  __m512 c8_1=_mm512_setzero_ps();
  __m512 c9_0=_mm512_setzero_ps();
  __m512 c9_1=_mm512_setzero_ps();
  __m512 c10_0=_mm512_setzero_ps();
  __m512 c10_1=_mm512_setzero_ps();
  __m512 c11_0=_mm512_setzero_ps();
  __m512 c11_1=_mm512_setzero_ps();
  for(int k=0;k<K;k++){
    __m512 b0=_mm512_loadu_ps(b+0);
    __m512 b1=_mm512_loadu_ps(b+16);
    { __m512 x=_mm512_set1_ps(a[0]);
      c0_0=_mm512_fmadd_ps(x,b0,c0_0);
      c0_1=_mm512_fmadd_ps(x,b1,c0_1);
    }
    { __m512 x=_mm512_set1_ps(a[1]);
      c1_0=_mm512_fmadd_ps(x,b0,c1_0);
      c1_1=_mm512_fmadd_ps(x,b1,c1_1);
    }
    { __m512 x=_mm512_set1_ps(a[2]);
      c2_0=_mm512_fmadd_ps(x,b0,c2_0);
      c2_1=_mm512_fmadd_ps(x,b1,c2_1);
    }
    { __m512 x=_mm512_set1_ps(a[3]);
      c3_0=_mm512_fmadd_ps(x,b0,c3_0);
      c3_1=_mm512_fmadd_ps(x,b1,c3_1);
    }
    { __m512 x=_mm512_set1_ps(a[4]);
      c4_0=_mm512_fmadd_ps(x,b0,c4_0);
      c4_1=_mm512_fmadd_ps(x,b1,c4_1);
    }
    { __m512 x=_mm512_set1_ps(a[5]);
      c5_0=_mm512_fmadd_ps(x,b0,c5_0);
      c5_1=_mm512_fmadd_ps(x,b1,c5_1);
    }
    { __m512 x=_mm512_set1_ps(a[6]);
      c6_0=_mm512_fmadd_ps(x,b0,c6_0);
      c6_1=_mm512_fmadd_ps(x,b1,c6_1);
    }
    { __m512 x=_mm512_set1_ps(a[7]);
      c7_0=_mm512_fmadd_ps(x,b0,c7_0);
      c7_1=_mm512_fmadd_ps(x,b1,c7_1);
    }
    { __m512 x=_mm512_set1_ps(a[8]);
      c8_0=_mm512_fmadd_ps(x,b0,c8_0);
      c8_1=_mm512_fmadd_ps(x,b1,c8_1);
    }
    { __m512 x=_mm512_set1_ps(a[9]);
      c9_0=_mm512_fmadd_ps(x,b0,c9_0);
      c9_1=_mm512_fmadd_ps(x,b1,c9_1);
    }
    { __m512 x=_mm512_set1_ps(a[10]);
      c10_0=_mm512_fmadd_ps(x,b0,c10_0);
      c10_1=_mm512_fmadd_ps(x,b1,c10_1);
    }
    { __m512 x=_mm512_set1_ps(a[11]);
      c11_0=_mm512_fmadd_ps(x,b0,c11_0);
      c11_1=_mm512_fmadd_ps(x,b1,c11_1);
    }
    a+=12; b+=32;
  }
  _mm512_storeu_ps(c+0*ldc+0,c0_0);
  _mm512_storeu_ps(c+0*ldc+16,c0_1);
  _mm512_storeu_ps(c+1*ldc+0,c1_0);
  _mm512_storeu_ps(c+1*ldc+16,c1_1);
  _mm512_storeu_ps(c+2*ldc+0,c2_0);
  _mm512_storeu_ps(c+2*ldc+16,c2_1);
  _mm512_storeu_ps(c+3*ldc+0,c3_0);
  _mm512_storeu_ps(c+3*ldc+16,c3_1);
  _mm512_storeu_ps(c+4*ldc+0,c4_0);
  _mm512_storeu_ps(c+4*ldc+16,c4_1);
  _mm512_storeu_ps(c+5*ldc+0,c5_0);
  _mm512_storeu_ps(c+5*ldc+16,c5_1);
  _mm512_storeu_ps(c+6*ldc+0,c6_0);
  _mm512_storeu_ps(c+6*ldc+16,c6_1);
  _mm512_storeu_ps(c+7*ldc+0,c7_0);
  _mm512_storeu_ps(c+7*ldc+16,c7_1);
  _mm512_storeu_ps(c+8*ldc+0,c8_0);
  _mm512_storeu_ps(c+8*ldc+16,c8_1);
  _mm512_storeu_ps(c+9*ldc+0,c9_0);
  _mm512_storeu_ps(c+9*ldc+16,c9_1);
  _mm512_storeu_ps(c+10*ldc+0,c10_0);
  _mm512_storeu_ps(c+10*ldc+16,c10_1);
  _mm512_storeu_ps(c+11*ldc+0,c11_0);
  _mm512_storeu_ps(c+11*ldc+16,c11_1);
}

int main(int argc,char**argv){
  int M=960,K=384,N=1024;
  int MR=atoi(argv[1]), NR=atoi(argv[2]); int NB=4;
  openblas_set_num_threads(1);
  float*A=aligned_alloc(64,M*K*4),*B=aligned_alloc(64,K*N*4),*C=aligned_alloc(64,M*N*4),*C2=aligned_alloc(64,(M+16)*(N+64)*4);
  for(int i=0;i<M*K;i++)A[i]=(rand()/(float)RAND_MAX)-0.5f;
  for(int i=0;i<K*N;i++)B[i]=(rand()/(float)RAND_MAX)-0.5f;
  int NP=N/NR; int MP=M/MR;
  float*Ap=aligned_alloc(64,M*K*4),*Bp=aligned_alloc(64,K*N*4);
  for(int p=0;p<MP;p++)for(int k=0;k<K;k++)for(int r=0;r<MR;r++)Ap[(p*K+k)*MR+r]=A[(p*MR+r)*K+k];
  double best1=1e9,best2=1e9;
  for(int rep=0;rep<20;rep++){
    double t=now();
    cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,M,N,K,1,A,K,B,N,0,C,N);
    double t1=now()-t; if(t1<best1)best1=t1;
    t=now();
    for(int j=0;j<NP;j++)for(int k=0;k<K;k++)memcpy(Bp+(j*K+k)*NR,B+k*N+j*NR,NR*4);
    for(int jb=0;jb<NP;jb+=NB)
      for(int p=0;p<MP;p++)
        for(int j=jb;j<jb+NB && j<NP;j++){
          if(MR==6&&NR==32) kernel_6x32(K,Ap+p*K*MR,Bp+j*K*NR,C2+p*MR*N+j*NR,N);
          if(MR==8&&NR==48) kernel_8x48(K,Ap+p*K*MR,Bp+j*K*NR,C2+p*MR*N+j*NR,N);
          if(MR==6&&NR==48) kernel_6x48(K,Ap+p*K*MR,Bp+j*K*NR,C2+p*MR*N+j*NR,N);
          if(MR==12&&NR==32) kernel_12x32(K,Ap+p*K*MR,Bp+j*K*NR,C2+p*MR*N+j*NR,N);
        }
    double t2=now()-t; if(t2<best2)best2=t2;
  }
  double fl1=2.0*M*N*K, fl2=2.0*MP*MR*NP*NR*K;
  printf("%dx%d openblas %.1f GF/s | ours %.1f GF/s\n",MR,NR,fl1/best1/1e9,fl2/best2/1e9);
}
