"""The supervisor's parts (supervisor.py is the shell): restart policy, child specs and
processes, pidfile, CURVE keys, and the psutil sampler."""
