"""Voice guidance: every instruction the journey gives, spoken as well as shown.

::

    journey view ──► prompt_for(view) ──► VoiceGuide.on_view ──► worker thread
                     (a prompt key)        (settings: on/off,      │ synthesize (cached WAV)
                                            volume, rate)          ▼
                                                                Player.play(path, volume)

* A prompt key is the i18n key of the text already on screen (``view["message"]``,
  ``view["error_key"]``), so a hard-of-hearing citizen reads what others hear and no
  instruction can be spoken without being shown.
* Audio is synthesized offline by espeak-ng (:mod:`kiosk.voice.synth`) into the
  terminal's data directory, cached by a hash of voice, rate and text; nothing is
  downloaded. ``scripts/diagnose audio`` can build the whole cache at set-up.
* Playing never blocks the UI: the guide hands work to one worker thread and the
  newest prompt wins. No audio device or no espeak-ng makes voice UNAVAILABLE with a
  reason for diagnostics; the kiosk keeps running silently.
"""
