/** The application menu as a template (pure: tested without Electron). */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  open(): void;
  /** A folder's captures, archives and text files as one session (electron/folder-refs.ts). */
  openFolder(): void;
  openRecent(path: string): void;
  addCapture(): void;
  loadCluster(): void;
  exportReport(): void;
  compare(): void;
  newWindow(): void;
  close(): void;
}

export function menuTemplate(actions: MenuActions, recent: readonly string[], platform: string): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => actions.open() },
      { label: 'Open Folder…', accelerator: 'CmdOrCtrl+Alt+O', click: () => actions.openFolder() },
      {
        label: 'Open Recent',
        submenu: recent.length
          ? recent.map((p) => ({ label: p, click: () => actions.openRecent(p) }))
          : [{ label: 'No recent captures', enabled: false }],
      },
      { label: 'New Window', accelerator: 'CmdOrCtrl+N', click: () => actions.newWindow() },
      { type: 'separator' },
      { label: 'Add Capture to Session…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.addCapture() },
      { label: 'Load Cluster Metadata…', click: () => actions.loadCluster() },
      { type: 'separator' },
      { label: 'Export Report…', accelerator: 'CmdOrCtrl+E', click: () => actions.exportReport() },
      { label: 'Compare…', click: () => actions.compare() },
      { type: 'separator' },
      { label: 'Close', accelerator: 'CmdOrCtrl+W', click: () => actions.close() },
      ...(mac ? [] : [{ role: 'quit' } as MenuItemConstructorOptions]),
    ],
  };
  return [
    ...(mac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    file,
    { role: 'editMenu' },
    { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
  ];
}
