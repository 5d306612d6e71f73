"""Teams and who may see which team: the one place every app asks, at the bottom of the layers."""
