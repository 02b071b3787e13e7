"""Captions: a short headline written for the people in front of the screen, checked in code."""
