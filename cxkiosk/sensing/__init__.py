"""See: frame sources (camera, video file, image folder, thermal array), faces and where they
look, local age and gender, and the tracker that turns detections into visits."""
