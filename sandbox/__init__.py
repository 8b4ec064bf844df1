"""Run untrusted model images under hard limits, and take images in from participants."""
