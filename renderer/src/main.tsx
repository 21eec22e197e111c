import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { createHost } from './api/host.js';
import { SessionProvider } from './session.js';
import './styles.css';

const host = createHost();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider host={host}><App /></SessionProvider>
  </StrictMode>,
);
