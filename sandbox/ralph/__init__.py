"""Ralph (the LRS) for the sandbox: a real ``ralph-malph`` in its own virtualenv."""
