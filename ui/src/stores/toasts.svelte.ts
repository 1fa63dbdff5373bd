// Short confirmations ("Copied") and failures that are not tied to a field, shown bottom-right.

export interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'bad';
}

class Toasts {
  list = $state.raw<Toast[]>([]);
  private next = 1;

  show(text: string, tone: Toast['tone'] = 'ok', ms = 2200): void {
    const toast = { id: this.next++, text, tone };
    this.list = [...this.list.slice(-3), toast];
    setTimeout(() => (this.list = this.list.filter((t) => t !== toast)), ms);
  }
}

export const toasts = new Toasts();
