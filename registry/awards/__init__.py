"""Grade awards (the registered fact that a person holds a grade) and appointments to posts (评聘)."""
