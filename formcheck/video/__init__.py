"""Video in and out: frame sources (a webcam, a video file, a folder of images) with their
timestamps, the live one-frame slot, and the annotators that draw a pose and its overlay onto a frame.

May import: ``formcheck.core``, ``formcheck.untrusted``, ``formcheck.paths``; OpenCV and numpy.
"""
