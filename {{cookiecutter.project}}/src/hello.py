"""The tutorial's first script: prove that code runs on the compute target."""

print("Hello world!")
