// passport 0.7 and passport-openidconnect 0.1 ship no types; the interop test uses them as plain JS.
declare module 'passport';
declare module 'passport-openidconnect';
