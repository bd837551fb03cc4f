"""The main window, patient first: Today (or any exercise) on the left, the video and the cue
banner in the middle, the counter and the stop button on the right. The person's path — Today →
Start → set-up, sets, rests, pain and effort → done — needs no toolbar and works from the keyboard
alone; choosing a camera or a video, the set-up check, Review, Programme and bundles are in the menus.

One module per part: ``window`` lays out the widgets and wires them to a ``SessionController``
(it holds no pipeline logic of its own); ``flow`` opens sources and starts exercises on them;
``display`` paints the newest frame and says what is missing; ``cameras`` the camera menus;
``notice`` the note above the video; ``dialogs``, ``therapist`` and ``bundles`` what the menus open.
"""
