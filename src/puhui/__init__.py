"""Puhui (普惠): contactless digital finance for small and micro enterprises."""

__version__ = "0.1.0"
