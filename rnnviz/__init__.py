"""rnnviz: watch a recurrent network learn, in your terminal."""
