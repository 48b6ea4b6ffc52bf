// Imported before Ink: chalk decides its colour level when it loads, and the fake stdout of the tests is not a
// TTY. With colour forced, a test can tell a NO_COLOR render (no escapes) from a colour one.
process.env['FORCE_COLOR'] = '1';
