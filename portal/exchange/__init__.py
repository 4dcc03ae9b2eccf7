"""Interfaces to other agencies (数据比对, 第六条) and their embedded implementations.

Each adapter is chosen by configuration; the embedded ones read the demo registries in the
database and are what development and tests use.
"""
