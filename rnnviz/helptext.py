"""What the app says about itself: the help screen's text and the command palette's entries."""
from functools import cache

from .lesson import built_in

HELP = """\
# rnnviz

Watch a recurrent network learn to predict the next symbol of a sequence.

## Getting around

{getting_around}

**Where the keys go** is on the bottom line: `keys: app` means no field has focus and each key is a command (a key
that is none says so); with a field focused, the line names it and says what it takes. A field takes its value on
`enter` (or when you leave it with `tab`), and `enter` gives the keys back to the app. A value a field refuses stays
beside it with the reason, and the field shows the value in use, selected, so that what you type next replaces it.

**Nothing is lost to a key.** A reset (`r`), closing a run (`x`), *Apply* over a trained run and a load over one ask
first, in a dialog that only `enter` (on the highlighted button), a click or `escape` answers; then `ctrl+z` brings the
run back, until the next of them. Quitting asks if a run has trained since it was saved.

**On a small terminal** (80x24), one page at a time: `3` the charts, `4` the prediction, `1` / `2` the Model and
Training panels beside the charts; `/` and the view keys go to the prediction. Each panel's border names the others.

## Lessons: a guided start

A lesson walks you through one experiment a step at a time: `ctrl+p`, type `lesson` and pick one (from the shell,
`rnnviz --lesson memory`). Its panel, top left, says what to do and what to look at, and ticks each thing to see as
it happens; `]` goes on to the next step, `[` back. *Leave the lesson* in the palette ends it and keeps the run. A
teacher can write one in a TOML file (README: Lessons).

{lessons}

## What you see

- **Header**: what trains (data, layers) and how it goes: step, epoch, `cost` (the last step's training cost, -ln p in
  nats), `acc` (the share of eval targets predicted right), `to best` (the eval cost minus the best possible cost,
  in nats: 0 is the best any predictor does on average; a little below 0 happens by chance on a finite eval set),
  tokens/s, `threads` (the threads NumPy's matrix products run on: two for a large model) and the learning rate. On
  a narrow terminal the least needed give way.
- **Model**: the data (any task: `parity:64`, `anbn:30`, `xor`, or a text file; `↓` lists them), the embedding size,
  the stack of RNN, LSTM, GRU and dense layers, and the seed; *Apply* (or `enter` in a field) builds a fresh network in
  place of the current run, *New run* beside it.
- **Training**: learning rate, schedule, optimizer, batch, BPTT, L2, clipping and speed; each change applies at the next
  step and is marked on the charts.
- **Charts**: the runs on the current run's task, each in its own colour: its eval cost bright, its training cost
  (smoothed) darker, the current run's raw cost faint grey; white, the best possible; violet, the best without
  memory, where the cost sits until the network finds a memory. Below it the memory use, on a task with targets where
  memory matters: the share of what memory is worth (the gap between the violet line and the white) that the eval
  cost has gained, 0 until the memory is found, then towards 1 (over every target the accuracy hardly moves); on
  the other tasks, the eval accuracy. Runs on other tasks are named in the title (`c` goes to them). The cost's
  scale fits the steps after the first tenth, so the first fall, from ln V (a guess among V symbols), runs off the top.
- **Prediction**: type a prefix such as `1 3 5`; the bars show the next-symbol probabilities, the line below the greedy
  continuation, and each heatmap the hidden units (rows) after each symbol (columns), from -1 (blue) to +1 (red).
  `PgUp`/`PgDn` scroll a view that does not fit.

**Views**, the tabs of the prediction panel, for the prefix (or with none an eval sequence, named in the view):
- `p` **Probs**: the bars and heatmaps; `t` shows another of the layer's traces (h; an LSTM's c and gates).
- `o` **Cost** by position: the network's cost of each symbol given those before it, the task's optimum beside it.
- `b` **Back**: how far back the prediction looks: the gradient of log p(target) with respect to each input, its size.
- `m` **Map**: the layer's states over the eval set on their two principal axes, coloured by the symbol each predicts
  (`i`: by its input symbol), the sequence's path across them.
- `u` **Unit**: the sequence with one unit's activation behind each symbol, blue -1 to red +1; `v` the unit that
  varies most.
- `g` **Gradient**: why a plain RNN forgets. For every run, over eval sequences, how strongly the loss at a step
  depends on the state k steps before (its gradient's size over that at k = 0, on a log scale), and the lag at which
  it falls below 1e-3: a plain RNN's falls within a few steps, a gated cell's can stay up across a long gap. Under
  it, each run's largest singular value σ of its recurrent weights (the gate with the largest) and ‖J‖, the mean
  norm of one step's Jacobian, against the line at 1: below 1, the gradient must fade step by step. For an LSTM or
  GRU, Karpathy's scatter: a point per unit and gate, the share of steps it is shut (below 0.1) across, open (above
  0.9) up; gates in the corners hold their memory or drop it on purpose.
- `e` **Reach** (anbn, parity): for n = 1 to 100, is each run right about a^n b^n T (or a gap of n zeros), far past
  the n it trained on (shaded)? The number is the largest n up to which it is right: a network that counts goes
  on, one that memorised stops where its training did.

`l` the next recurrent layer · `↑`/`↓` the target (bars, Back) or the unit (Unit, or a heatmap after a click on a
row) · `a` the likeliest target again.

**Keys**: `space` run or pause · `n` one step (of every run) · `r` reset the weights · `ctrl+z` undo a reset, close,
Apply or load · `ctrl+s` / `ctrl+o` save / load a checkpoint · `f` fork the run · `c` next run · `x` close the run ·
`ctrl+p` command palette (changing the task, recording, exporting, every action) · `?` this help · `q` quit.

A build, a reset, a load or a fork runs beside the screen: the header says what it is doing and the keys keep
working (those that would touch the network say to wait). A prediction that takes a while says *working…* in the
panel's title.
"""


GETTING_AROUND = ("Press space to train, / to type a prefix, 1 for the Model panel, 2 for the Training panel, "
                  "tab to move on, escape to leave a field, ? for help. New here? ctrl+p and type lesson for a "
                  "guided experiment (Lessons, below).")
HELP = HELP.replace("{getting_around}", GETTING_AROUND)


@cache
def help_text() -> str:
    """The help screen's text, the built-in lessons listed: read when first asked, as reading them takes ~0.1 s."""
    return HELP.replace("{lessons}", "\n".join(f"- **{lesson.title}** (`{lesson.name}`): {lesson.summary}"
                                                for lesson in built_in()))


COMMANDS = [  # the command palette's entries: (title, help, action)
    ("Change the task (the data)…", "A new network on another task: parity:64, xor, letters, anbn:30, a text file",
     "list_tasks"),
    ("Undo", "Bring back the run that a reset, a close, Apply or a load threw away (ctrl+z)", "undo"),
    ("Run or pause training", "Start the training loop, or pause it after the current step", "toggle_run"),
    ("One training step", "Do exactly one optimizer step (while paused)", "one_step"),
    ("Reset weights", "Draw the network's weights again from its seed, back at step 0", "reset"),
    ("Roll back", "Return to the last good weights kept before a divergence", "rollback"),
    ("Save checkpoint", "Write the network and training state to an .npz file", "save"),
    ("Load checkpoint", "Read a network and its training state from an .npz file", "load"),
    ("Type a prefix", "Go to the prediction panel's input", "type_prefix"),
    ("Fork the run", "A second run goes on from the current one's weights; change its settings to compare", "fork"),
    ("Next run", "Make the next run current: the panels and the prediction follow it", "next_run"),
    ("Close the run", "Close the current run (the last one stays)", "close_run"),
    ("Record the session", "Write every change from now on to a file that rnncore replay redoes", "record"),
    ("Export the charts' data", "Write every run's charted points to a CSV file", "export"),
    ("View: next-symbol bars and heatmaps", "The prediction panel's first tab (p)", "panel('open', 'probs')"),
    ("View: cost by position", "The network's cost of each symbol, the task's optimum beside it (o)",
     "panel('open', 'cost')"),
    ("View: how far back", "The size of the gradient of the prediction with respect to each input (b)",
     "panel('open', 'back')"),
    ("View: state map", "The layer's states on their first two principal components, the path across them (m)",
     "panel('open', 'map')"),
    ("View: unit on text", "One unit's activation behind each symbol (u)", "panel('open', 'unit')"),
    ("View: gradient through time", "Why a plain RNN forgets: every run's gradient against the lag, its spectrum and "
     "gate saturation (g)", "panel('open', 'grad')"),
    ("View: reach", "How far past its training lengths each run is right, on anbn and parity (e)",
     "panel('open', 'reach')"),
    ("Next recurrent layer", "The views and the heatmap's marks go to the next layer (l)", "panel('next_layer')"),
    ("Next trace", "The heatmap and the views show another of the layer's traces: h, c, gates (t)",
     "panel('next_trace')"),
    ("State map: colour by input or prediction", "Switch the state map's colouring (i)", "panel('colour_by_input')"),
    ("Unit that varies most", "Pick the unit whose activation varies most over the sequence (v)",
     "panel('most_varying')"),
    ("Help", "What each panel shows and the keys", "help"),
]
