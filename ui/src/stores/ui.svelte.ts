// Which overlays are open, so keyboard shortcuts know when to stay quiet.

class Ui {
  /** The `?` shortcuts overlay. */
  help = $state(false);
  /** A dialog (resend…) has the keyboard. */
  dialog = $state(false);
}

export const ui = new Ui();
