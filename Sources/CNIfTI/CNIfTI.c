// The CNIfTI target only exposes <nifti/nifti2_io.h> through include/CNIfTI.h; this file keeps the
// C target non-empty, which SwiftPM requires.
#include "CNIfTI.h"
