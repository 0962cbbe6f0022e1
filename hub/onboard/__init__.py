"""Bringing what exists into hub: `hub import` adopts an existing vendor account into workspace files and
hub's state (the next plan shows nothing to do)."""
