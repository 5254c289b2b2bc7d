/** The UI server's public surface (the CLI's `ui` command and the Modal `ui` function use these). */
export { createUiApp, type UiDeps } from './app.js';
export { startUiServer, loginUrl, UiServerStartError, type UiServer, type UiServerOptions } from './start.js';
export { generateUiToken } from './auth.js';
export { folderVolumeReader, volumeClientReader, type VolumeReader } from './volume-reader.js';
