// Boots the UI: picks the theme (prefers-color-scheme, or ?theme=light|dark), mounts App.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

const theme = new URLSearchParams(location.search).get('theme');
if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');
export default mount(App, { target });
