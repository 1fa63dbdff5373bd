// Type declarations for Vite's client features (?raw imports, import.meta.env).
/// <reference types="svelte" />
/// <reference types="vite/client" />
