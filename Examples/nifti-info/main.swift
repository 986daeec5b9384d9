print("nifti-info")
