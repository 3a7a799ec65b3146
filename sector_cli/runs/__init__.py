"""Runs: prepare a program, drive a runner, record and replay what happened."""
