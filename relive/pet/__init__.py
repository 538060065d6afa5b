"""PET: a creature dressed in the accessories that best match a music taste."""
