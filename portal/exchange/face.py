"""Face comparison of a person who is not the one signed in (亲情认证): the relative's phone
films the elder, the platform checks liveness and compares the face with the elder's identity
card portrait.

The provincial platform offers this to its own app only; the embedded implementation stands in
for it the way the embedded identity provider's face page does: the comparison is simulated and
answers "match" when the person holding the phone says the elder is in front of the camera.
"""


def compare_portrait(id_number: str, capture: str) -> bool:
    """True when the captured face is live and matches the portrait on file for `id_number`."""
    return bool(id_number) and capture == "match"
