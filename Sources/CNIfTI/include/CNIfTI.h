// The NIfTI-2 API of nifti_clib 3 (Debian: libnifti2-dev). Only nifti2_io.h is used; never the NIfTI-1 API.
#ifndef CNIFTI_H
#define CNIFTI_H
#include <nifti/nifti2_io.h>
#endif
