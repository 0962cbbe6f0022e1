"""`hub report`: what hub's sends achieved, read from every vendor into one normalised set of figures.

- `figures`: the contract between the core and provider plugins (metrics, what was sent, what a vendor read gives).
"""
