// Forwarding header: nifti2_io.h includes <znzlib.h>, which Debian installs as <nifti/znzlib.h>.
#include <nifti/znzlib.h>
