"""webrtcvad comes from the `webrtcvad-wheels` distribution here; the contributed hook looks for `webrtcvad`'s
metadata, which does not exist, and stops the build. Nothing reads the metadata at run time."""

datas: list[tuple[str, str]] = []
