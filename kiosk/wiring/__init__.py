"""The composition root: the one place where configuration becomes objects (build),
devices (devices) and the journey's services (journey).
"""
