"""Events of the modules app that higher apps react to (their receivers live with them). No models
here: apps.py modules import this before the app registry is ready.

``module_delivered(sender=Module, module=..., now=...)``: sent by
``modules.services.module_mark_delivered`` inside its transaction, once, when a module becomes
delivered. Receiver: ``surveys.receivers.survey_open_on_module_delivered`` (opens the module's
survey and records the invitations; the mail goes out after commit). A receiver that raises
undoes the delivery, so a module is never delivered without its survey.
"""

from django.dispatch import Signal

module_delivered = Signal()
