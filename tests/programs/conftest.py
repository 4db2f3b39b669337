# The programs here are run by tests/test_programs.py (under torch and under backprop), not imported by pytest:
# importing them for doctests would import torch, and torchvision (which exists only under backprop run).
collect_ignore_glob = ["*.py"]
