/** Vite's asset imports used by the renderer (CSS side-effect imports). */
declare module '*.css' {}
