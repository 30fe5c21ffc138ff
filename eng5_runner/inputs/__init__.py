"""What a run reads: essays and their text, grade sheets and scales, boundary pairs."""
