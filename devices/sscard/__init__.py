"""Social security card (社会保障卡) readers through PC/SC, and a virtual card for vpcd."""
