"""The application layer: one small Qt-free operation per user action (unlock the profile, start a role-play,
finish and score it, export, erase…). The window runs these in the background and shows their results; the
command line calls the same ones and prints them. Nothing here imports Qt, and nothing in ``core`` imports this
package."""
