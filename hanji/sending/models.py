# The sending engine's models (Send, Delivery, events) arrive with the sending issue.
