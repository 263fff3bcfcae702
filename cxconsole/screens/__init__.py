"""The app's screens, one module each; the app maps each mode to its screen lazily."""
