"""PDF reports a teacher can file: one role-play's feedback (:func:`write_session_pdf`) and progress over
many role-plays (:func:`write_progress_pdf`). Built with reportlab, embedded DejaVu fonts, written atomically."""
