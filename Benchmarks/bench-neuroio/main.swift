print("bench-neuroio")
