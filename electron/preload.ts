/** The preload (sandboxed): exposes exactly one object, window.overlayscope. */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createBridge } from './preload-api.js';

contextBridge.exposeInMainWorld('overlayscope', createBridge(ipcRenderer, webUtils));
